"""councilqa: question answering over what UK councils have actually done.

Reports are split by initiative, indexed densely (sentence-transformers + FAISS) and
sparsely (BM25), fused with reciprocal rank fusion, and every passage is cited to the
exact character span of its source report.
"""

__version__ = "0.1.0"
