"""tap-salesforce: a Singer tap for the Salesforce REST and Bulk 2.0 APIs."""
