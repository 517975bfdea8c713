"""SpiffWorkflow integration: safe BPMN loading, restricted scripts, running to the next wait state.

No Flask imports here: the services layer drives this package inside its transactions.
"""
