"""The kiosk's Qt half: the frameless shell around the wall, tours, the PIN pad and the safe-mode screen."""
