"""Names of the reused vocabularies' terms for readers, in Japanese and English.

The project's own terms (zs:) are named by the ontology's rdfs:label @ja/@en; the terms of
DCAT, Dublin Core, Data Cube, VoID, SKOS, schema.org and the rest that pages show are named
here (tests/test_pages_language.py checks that every property and class in the publication
has a name in both languages). INVERSE names a property read backwards, for "What links here".
"""

from __future__ import annotations

from zaisei.rdf.namespaces import iri

_TABLE = {
    # RDF, RDFS, OWL
    "rdf:type": ("種類", "type"), "rdf:value": ("値", "value"), "rdfs:label": ("ラベル", "label"),
    "rdfs:comment": ("説明", "comment"), "rdfs:seeAlso": ("関連情報", "see also"),
    "rdfs:isDefinedBy": ("定義元", "defined by"), "rdfs:domain": ("定義域", "domain"), "rdfs:range": ("値域", "range"),
    "rdfs:subClassOf": ("上位クラス", "subclass of"), "rdfs:subPropertyOf": ("上位の性質", "subproperty of"),
    "rdfs:Resource": ("リソース", "resource"), "owl:Class": ("クラス", "class"),
    "owl:ObjectProperty": ("オブジェクト型の性質", "object property"),
    "owl:DatatypeProperty": ("データ型の性質", "datatype property"), "owl:Ontology": ("オントロジー", "ontology"),
    "owl:versionIRI": ("版のIRI", "version IRI"), "owl:versionInfo": ("版", "version"),
    # SKOS
    "skos:prefLabel": ("名称", "name"), "skos:broader": ("上位", "broader"), "skos:narrower": ("下位", "narrower"),
    "skos:inScheme": ("体系", "in scheme"), "skos:topConceptOf": ("最上位の体系", "top concept of"),
    "skos:hasTopConcept": ("最上位の項目", "top concept"), "skos:notation": ("記号", "notation"),
    "skos:member": ("要素", "member"), "skos:Concept": ("概念", "concept"),
    "skos:ConceptScheme": ("概念体系", "concept scheme"), "skos:Collection": ("集まり", "collection"),
    # Dublin Core terms
    "dcterms:identifier": ("識別子", "identifier"), "dcterms:title": ("題名", "title"),
    "dcterms:description": ("説明", "description"), "dcterms:source": ("出典", "source"),
    "dcterms:publisher": ("公表者", "publisher"), "dcterms:accrualPeriodicity": ("更新頻度", "frequency"),
    "dcterms:conformsTo": ("準拠する規格", "conforms to"), "dcterms:created": ("作成日", "created"),
    "dcterms:format": ("ファイル形式", "format"), "dcterms:hasPart": ("構成要素", "has part"),
    "dcterms:isPartOf": ("所属先", "is part of"),
    "dcterms:issued": ("公表日", "issued"), "dcterms:language": ("言語", "language"),
    "dcterms:license": ("ライセンス", "licence"), "dcterms:modified": ("更新日", "modified"),
    "dcterms:provenance": ("来歴", "provenance"), "dcterms:spatial": ("対象地域", "spatial coverage"),
    "dcterms:temporal": ("対象期間", "temporal coverage"), "dcterms:type": ("種別", "type"),
    "dcterms:Frequency": ("頻度", "frequency"), "dcterms:LicenseDocument": ("ライセンス文書", "licence document"),
    "dcterms:LinguisticSystem": ("言語", "language"), "dcterms:Location": ("地域", "location"),
    "dcterms:MediaType": ("メディアタイプ", "media type"),
    "dcterms:MediaTypeOrExtent": ("ファイル形式", "media type or extent"),
    "dcterms:PeriodOfTime": ("期間", "period of time"), "dcterms:ProvenanceStatement": ("来歴の記述", "provenance statement"),
    "dcterms:Standard": ("規格", "standard"),
    # DCAT and DCAT-AP
    "dcat:Catalog": ("カタログ", "catalog"), "dcat:Dataset": ("データセット", "dataset"),
    "dcat:DatasetSeries": ("データセットのシリーズ", "dataset series"), "dcat:Distribution": ("配布ファイル", "distribution"),
    "dcat:DataService": ("データサービス", "data service"), "dcat:accessURL": ("アクセスURL", "access URL"),
    "dcat:byteSize": ("バイト数", "size in bytes"), "dcat:compressFormat": ("圧縮形式", "compression format"),
    "dcat:contactPoint": ("問い合わせ先", "contact point"), "dcat:dataset": ("データセット", "dataset"),
    "dcat:distribution": ("配布ファイル", "distribution"), "dcat:downloadURL": ("ダウンロードURL", "download URL"),
    "dcat:endDate": ("終了日", "end date"), "dcat:startDate": ("開始日", "start date"),
    "dcat:endpointDescription": ("エンドポイントの説明", "endpoint description"),
    "dcat:endpointURL": ("エンドポイントURL", "endpoint URL"), "dcat:inSeries": ("シリーズ", "in series"),
    "dcat:keyword": ("キーワード", "keyword"), "dcat:landingPage": ("案内ページ", "landing page"),
    "dcat:mediaType": ("メディアタイプ", "media type"), "dcat:servesDataset": ("提供するデータセット", "serves dataset"),
    "dcat:service": ("サービス", "service"), "dcat:theme": ("分野", "theme"),
    "dcat:themeTaxonomy": ("分野の体系", "theme taxonomy"), "dcatap:availability": ("提供の見込み", "availability"),
    # Data Cube
    "qb:dataSet": ("データセット", "data set"), "qb:Observation": ("観測値", "observation"),
    "qb:DataSet": ("データセット（統計）", "data set (statistics)"), "qb:attribute": ("属性", "attribute"),
    "qb:codeList": ("コード表", "code list"), "qb:component": ("構成要素", "component"),
    "qb:componentProperty": ("構成要素の性質", "component property"), "qb:componentRequired": ("必須", "required"),
    "qb:dimension": ("次元", "dimension"), "qb:measure": ("測定値", "measure"), "qb:order": ("順序", "order"),
    "qb:structure": ("構造", "structure"), "qb:AttributeProperty": ("属性の性質", "attribute property"),
    "qb:CodedProperty": ("コード化された性質", "coded property"),
    "qb:ComponentSpecification": ("構成要素の指定", "component specification"),
    "qb:DataStructureDefinition": ("データ構造定義", "data structure definition"),
    "qb:DimensionProperty": ("次元の性質", "dimension property"), "qb:MeasureProperty": ("測定値の性質", "measure property"),
    # VoID
    "void:Dataset": ("データセット（VoID）", "dataset (VoID)"),
    "void:DatasetDescription": ("データセットの記述", "dataset description"), "void:Linkset": ("リンクセット", "linkset"),
    "void:class": ("クラス", "class"), "void:classPartition": ("クラス別の部分", "class partition"),
    "void:classes": ("クラス数", "classes"), "void:dataDump": ("ダンプ", "data dump"),
    "void:distinctObjects": ("目的語の数", "distinct objects"), "void:distinctSubjects": ("主語の数", "distinct subjects"),
    "void:entities": ("実体の数", "entities"), "void:exampleResource": ("例", "example resource"),
    "void:feature": ("機能", "feature"), "void:linkPredicate": ("リンクの性質", "link predicate"),
    "void:objectsTarget": ("リンク先", "objects target"), "void:properties": ("性質の数", "properties"),
    "void:property": ("性質", "property"), "void:propertyPartition": ("性質別の部分", "property partition"),
    "void:sparqlEndpoint": ("SPARQLエンドポイント", "SPARQL endpoint"),
    "void:subjectsTarget": ("リンク元", "subjects target"), "void:subset": ("部分集合", "subset"),
    "void:triples": ("トリプル数", "triples"), "void:uriSpace": ("URI空間", "URI space"),
    "void:vocabulary": ("語彙", "vocabulary"),
    # vann, schema.org, IMI
    "vann:preferredNamespacePrefix": ("推奨接頭辞", "preferred prefix"),
    "vann:preferredNamespaceUri": ("名前空間", "namespace"),
    "schema:name": ("名称", "name"), "schema:address": ("所在地", "address"),
    "schema:addressCountry": ("国", "country"), "schema:containedInPlace": ("所在する施設", "contained in"),
    "schema:containsPlace": ("含む施設", "contains"), "schema:description": ("説明", "description"),
    "schema:streetAddress": ("住所", "street address"), "schema:sameAs": ("同一の実体", "same as"),
    "schema:url": ("URL", "URL"), "schema:CivicStructure": ("公共施設", "civic structure"),
    "schema:ElementarySchool": ("小学校", "elementary school"), "schema:GovernmentOffice": ("行政機関の施設", "government office"),
    "schema:GovernmentOrganization": ("行政機関", "government organisation"), "schema:Library": ("図書館", "library"),
    "schema:PostalAddress": ("住所", "postal address"),
    "ic:市区町村コード": ("市区町村コード", "municipality code"), "ic:表記": ("表記", "written form"),
    "ic:住所型": ("住所", "address"),
    # SPDX, time, vCard, FOAF, ORG, PROV, Web Annotation
    "spdx:algorithm": ("算法", "algorithm"), "spdx:checksum": ("チェックサム", "checksum"),
    "spdx:checksumValue": ("チェックサムの値", "checksum value"), "spdx:Checksum": ("チェックサム", "checksum"),
    "spdx:ChecksumAlgorithm": ("チェックサムの算法", "checksum algorithm"),
    "time:hasBeginning": ("開始", "beginning"), "time:hasEnd": ("終了", "end"), "time:inXSDDate": ("日付", "date"),
    "time:intervalEquals": ("同じ期間", "interval equals"), "time:Instant": ("時点", "instant"),
    "vcard:fn": ("名称", "name"), "vcard:hasURL": ("URL", "URL"), "vcard:Kind": ("連絡先", "contact"),
    "vcard:Organization": ("組織（連絡先）", "organisation (contact)"),
    "foaf:homepage": ("ホームページ", "home page"), "foaf:name": ("名称", "name"), "foaf:page": ("ページ", "page"),
    "foaf:primaryTopic": ("主題", "primary topic"), "foaf:Agent": ("主体", "agent"),
    "foaf:Document": ("文書", "document"), "foaf:Organization": ("組織", "organisation"),
    "org:Organization": ("組織", "organisation"), "prov:Entity": ("実体（来歴）", "entity (provenance)"),
    "prov:wasDerivedFrom": ("由来", "derived from"),
    "oa:hasSource": ("出典文書", "source document"), "oa:hasSelector": ("選択子", "selector"),
    "oa:exact": ("引用文", "exact quote"), "oa:FragmentSelector": ("断片の選択子", "fragment selector"),
    "oa:SpecificResource": ("文書の一部", "part of a document"),
    "oa:TextQuoteSelector": ("引用文の選択子", "text quote selector"),
    "prov:Activity": ("活動（来歴）", "activity (provenance)"), "prov:SoftwareAgent": ("ソフトウェア", "software agent"),
    "prov:endedAtTime": ("終了時刻", "ended at"), "prov:used": ("使用したもの", "used"),
    "prov:wasAssociatedWith": ("実行した主体", "associated with"), "prov:wasGeneratedBy": ("生成した活動", "generated by"),
    # more Dublin Core, Data Cube, SKOS mappings, DCAT, schema.org
    "dcterms:creator": ("作成者", "creator"), "dcterms:date": ("日付", "date"), "dcterms:rights": ("権利", "rights"),
    "dcterms:rightsHolder": ("権利者", "rights holder"), "dcterms:RightsStatement": ("権利の記述", "rights statement"),
    "qb:HierarchicalCodeList": ("階層のあるコード表", "hierarchical code list"),
    "qb:componentAttachment": ("付与先", "component attachment"), "qb:hierarchyRoot": ("階層の最上位", "hierarchy root"),
    "qb:parentChildProperty": ("親子関係の性質", "parent-child property"),
    "sdmx-attribute:unitMeasure": ("単位", "unit of measure"),
    "skos:exactMatch": ("全国の区分（一致）", "exact match"), "skos:closeMatch": ("全国の区分（近似）", "close match"),
    "skos:broadMatch": ("全国の区分（より広い）", "broader match"), "skos:narrowMatch": ("全国の区分（より狭い）", "narrower match"),
    "skos:relatedMatch": ("関連する区分", "related match"), "skos:note": ("注記", "note"),
    "dcat:bbox": ("範囲", "bounding box"), "dcat:centroid": ("中心点", "centroid"),
    "schema:MediaObject": ("ファイル", "media object"), "schema:dateDownloaded": ("取得日", "date downloaded"),
    "schema:encodingFormat": ("ファイル形式", "encoding format"), "schema:softwareVersion": ("版", "software version"),
    # OpenBudgets.eu's components
    "obeu-attribute:currency": ("通貨", "currency"), "obeu-dimension:budgetPhase": ("予算の段階", "budget phase"),
    "obeu-dimension:fiscalPeriod": ("会計年度", "fiscal period"),
    "obeu-dimension:operationCharacter": ("歳入・歳出の別", "operation character"),
    "obeu-dimension:organization": ("団体", "organisation"),
}
# Things of other publishers the catalog cites, named for readers (their labels there are English only).
_THINGS = {
    "eu-language:JPN": ("日本語", "Japanese"), "eu-language:ENG": ("英語", "English"),
    "eu-authority:data-theme": ("データの分野", "data theme"),
    "eu-theme:ECON": ("経済・財政", "economy and finance"),
    "eu-theme:GOVE": ("行政・公共部門", "government and public sector"),
    "eu-frequency:ANNUAL": ("毎年", "annual"), "eu-availability:STABLE": ("安定して提供", "stable"),
    "adms-publishertype:LocalAuthority": ("地方公共団体", "local authority"),
}
KNOWN = {iri(curie): names for curie, names in (_TABLE | _THINGS).items()}
# A property read from its object back to its subject ("What links here"): the inverse's name.
INVERSE = {
    iri("skos:broader"): ("下位", "narrower"), iri("skos:narrower"): ("上位", "broader"),
    iri("schema:containedInPlace"): ("含む施設", "contains"), iri("schema:containsPlace"): ("所在する施設", "contained in"),
    iri("skos:inScheme"): ("体系の項目", "concepts in the scheme"), iri("skos:member"): ("所属する集まり", "member of"),
    iri("qb:dataSet"): ("観測値", "observations"), iri("dcat:dataset"): ("収録するカタログ", "in catalog"),
    iri("dcat:distribution"): ("配布元のデータセット", "distribution of"), iri("rdf:type"): ("この種類のもの", "instances"),
}


def known(term: str, lang: str) -> str | None:
    names = KNOWN.get(term)
    return None if names is None else names[0 if lang == "ja" else 1]


def inverse(term: str, lang: str, label: str) -> str:
    """How a property reads backwards: its inverse's name, else "〜として参照" / "as … of"."""
    names = INVERSE.get(term)
    if names:
        return names[0 if lang == "ja" else 1]
    return f"{label}として参照" if lang == "ja" else f"as {label} of"
