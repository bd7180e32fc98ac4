"""FASTA files of residue codes (the bridge to BLAST+ and HMMER).

Sequences are ``uint8`` residue codes over :data:`matrices.ALPHABET` (the
20 amino acids in NCBI order); :data:`matrices.GAP` is written and read as
``-`` so that an aligned FASTA (``psiblast -in_msa``) round-trips too. Any
other letter (X, B, Z, U, O, J, ``*``) is an error: the domain's data never
contain one. Lower-case letters read as their upper-case residue. Encoding
and decoding go through 256-entry lookup tables, one vectorised indexing per
sequence.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .matrices import ALPHABET, GAP

_LETTERS = np.frombuffer((ALPHABET + "-").encode("ascii"), np.uint8)
_CODES = np.full(256, 255, np.uint8)
for _i, _c in enumerate(ALPHABET + "-"):
    _CODES[ord(_c)] = _i
    _CODES[ord(_c.lower())] = _i


def _text(codes: np.ndarray) -> str:
    codes = np.asarray(codes)
    if codes.size and int(codes.max()) > GAP:
        raise ValueError(f"residue code {int(codes.max())} is neither an amino acid (0..19) nor GAP ({GAP})")
    return _LETTERS[codes].tobytes().decode("ascii")


def write_fasta(path, names, seqs, *, offsets=None, width: int = 60) -> Path:
    """Write ``names`` and their sequences to ``path`` (``width`` letters a
    line; ``width=0`` writes each sequence on one line).

    ``seqs`` is a list of ``uint8`` code arrays, or — with ``offsets`` — one
    concatenated residue array where sequence ``i`` is
    ``seqs[offsets[i]:offsets[i + 1]]`` (the database layout). A name is the
    FASTA id: it must be non-empty and hold no white space.
    """
    names = list(names)
    if offsets is not None:
        residues, offsets = np.asarray(seqs), np.asarray(offsets)
        seqs = [residues[offsets[i]:offsets[i + 1]] for i in range(len(offsets) - 1)]
    if len(names) != len(seqs):
        raise ValueError(f"{len(names)} names for {len(seqs)} sequences")
    path = Path(path)
    with open(path, "w") as f:
        for name, seq in zip(names, seqs):
            if not name or any(c.isspace() for c in name):
                raise ValueError(f"FASTA id {name!r} is empty or holds white space")
            text = _text(seq)
            step = width if width > 0 else max(len(text), 1)
            f.write(f">{name}\n")
            f.writelines(text[s:s + step] + "\n" for s in range(0, len(text), step))
    return path


def read_fasta(path) -> tuple[list[str], list[np.ndarray]]:
    """The ids (first word of each ``>`` line) and ``uint8`` code arrays of
    the FASTA file ``path``, in file order."""
    data = Path(path).read_bytes().replace(b"\r", b"")
    if not data.strip():
        return [], []
    if not data.lstrip().startswith(b">"):
        raise ValueError(f"{path}: not FASTA (does not start with '>')")
    names, seqs = [], []
    for record in data.lstrip()[1:].split(b"\n>"):
        header, _, body = record.partition(b"\n")
        words = header.split()
        if not words:
            raise ValueError(f"{path}: a record without an id")
        raw = np.frombuffer(b"".join(body.split()), np.uint8)
        codes = _CODES[raw]
        if (codes == 255).any():
            bad = sorted({chr(c) for c in raw[codes == 255]})
            raise ValueError(f"{path}: {words[0].decode()} holds letters outside the 20 amino acids: {bad}")
        names.append(words[0].decode())
        seqs.append(codes)
    return names, seqs
