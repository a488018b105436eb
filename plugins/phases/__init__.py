"""Phase plug-ins (entry-point group ``mikmc.phases``): metal-site phase from local chemistry."""
