"""Image-level effects after rendering: lighting gain and sky, depth-based haze, camera faults."""
