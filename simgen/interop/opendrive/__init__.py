"""OpenDRIVE road networks: parsing, road coordinates, meshes."""
