"""ASAM OpenSCENARIO 1.x import: entities, init, storyboard -> a simgen scenario."""
