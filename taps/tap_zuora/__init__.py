"""tap-zuora: a Singer tap (singer-sdk) exporting Zuora objects through REST export or AQuA."""
