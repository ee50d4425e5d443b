"""tap-zuora: a Singer tap (singer-sdk) exporting Zuora objects through the REST export API."""
