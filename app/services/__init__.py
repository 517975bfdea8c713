"""Use cases: one public function = one transaction = one move of a dossier from a wait state to the next."""
