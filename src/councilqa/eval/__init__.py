"""The retrieval eval: the gold set (`gold`), metrics (`metrics`), the run (`run`) and the
naive baseline it is compared with (`baseline`). See eval/README.md at the top level."""
