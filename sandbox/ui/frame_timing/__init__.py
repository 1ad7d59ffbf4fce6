"""When the wall's work happens relative to its frames: after the next painted frame, the collector held
off during a drill's first frame, and the zoom's camera path and easing."""
