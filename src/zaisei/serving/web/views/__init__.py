"""The views, one module per kind of resource (as datasette's views/), each a blueprint."""

from zaisei.serving.web.views import ckan, datasets, documents, files, site, sparql, things

BLUEPRINTS = (things.blueprint, datasets.blueprint, files.blueprint, documents.blueprint, site.blueprint,
              sparql.blueprint, ckan.blueprint)
