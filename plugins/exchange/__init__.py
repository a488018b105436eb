"""Exchange plug-ins (entry-point group ``mikmc.exchange``): spin models for the ferromagnetic sites."""
