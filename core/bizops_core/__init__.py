"""Pieces shared by every BizOps part: the error taxonomy, the HTTP retry layer, logging."""
