"""Built-in domains. Each is a module (or package) here that registers itself on
import; :func:`collapsesim.registry.available` imports them lazily, so importing
``collapsesim`` stays cheap and free of import cycles."""

BUILTIN = ("drift", "particle_filter", "sweep", "gan", "ga", "hikers", "beam", "psiblast",
           "model_collapse")
