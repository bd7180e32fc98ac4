"""Diverse beam search with transformers 4.56.2, in its own environment.

Group beam search (``num_beam_groups > 1``) left transformers' core in 4.57
(from then on it needs ``trust_remote_code``, i.e. a Hub download), so this
file imports nothing from collapsesim and is run as a script by another
interpreter::

    python -m venv hf456
    hf456/bin/pip install torch transformers==4.56.2
    hf456/bin/python collapsesim/reproductions/beam_hf456.py --data data.json --out result.json

(``collapsesim reproduce beam`` runs it under the interpreter named by
``COLLAPSESIM_TRANSFORMERS456_PYTHON``.)

``data.json`` holds ``models``, each a ``config`` (``GPT2Config`` keyword
arguments) and ``weights`` (the path of its ``state_dict``, saved by
``torch.save`` on the caller's side, so both sides decode the same weights
whatever their torch and transformers versions), and ``cases``, each a
``model`` (an index into ``models``), a ``prompt`` (token ids) and the
``generate`` keywords ``num_beams``, ``num_beam_groups``,
``diversity_penalty``, ``length_penalty`` and ``max_new_tokens``
(``num_return_sequences = num_beams``, ``do_sample=False``,
``early_stopping="never"``; the EOS token suppressed with ``suppress_tokens``
when ``suppress_eos``). The output holds the versions and, per case, the
generated tokens (prompt removed) and ``sequences_scores``.

torch and transformers are imported inside the functions: collapsesim's
protocol discovery imports every module of this package, and importing
collapsesim must not import transformers.
"""

import argparse
import json
import warnings
from importlib.metadata import version


def load_model(spec: dict):
    """The GPT-2 of ``spec["config"]`` with the caller's weights (every
    parameter must be present; buffers absent from older versions are not)."""
    import torch
    import transformers

    model = transformers.GPT2LMHeadModel(transformers.GPT2Config(**spec["config"]))
    state = torch.load(spec["weights"], map_location="cpu")
    missing, unexpected = model.load_state_dict(state, strict=False)
    params = {name for name, _ in model.named_parameters()}
    if set(missing) & params or unexpected:
        raise SystemExit(f"weights do not fit: missing {sorted(set(missing) & params)}, "
                         f"unexpected {sorted(unexpected)}")
    return model.eval()


def run_case(model, case: dict) -> dict:
    import torch

    eos = model.config.eos_token_id
    prompt = torch.tensor([case["prompt"]], dtype=torch.long)
    extra = {"suppress_tokens": [eos]} if case.get("suppress_eos") else {}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = model.generate(prompt, attention_mask=torch.ones_like(prompt),
                             max_new_tokens=case["max_new_tokens"], do_sample=False,
                             num_beams=case["num_beams"], num_beam_groups=case["num_beam_groups"],
                             diversity_penalty=case["diversity_penalty"],
                             length_penalty=case["length_penalty"],
                             num_return_sequences=case["num_beams"], early_stopping="never",
                             output_scores=True, return_dict_in_generate=True,
                             pad_token_id=eos, **extra)
    return {"sequences": out.sequences[:, prompt.shape[1]:].tolist(),
            "scores": [float(s) for s in out.sequences_scores]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.data) as f:
        spec = json.load(f)
    result = run(spec)
    with open(args.out, "w") as f:
        json.dump(result, f)


def run(spec: dict) -> dict:
    """Every case of ``spec``; the versions and the results in case order."""
    import torch

    torch.set_num_threads(1)
    models = [load_model(m) for m in spec["models"]]
    results = [run_case(models[case["model"]], case) for case in spec["cases"]]
    return {"transformers": version("transformers"), "torch": version("torch"),
            "results": results}


if __name__ == "__main__":
    main()
