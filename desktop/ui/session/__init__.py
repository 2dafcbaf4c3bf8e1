"""Who is at the keyboard: the login window and lock screen, first run, passwords,
the idle lock, and the controller that swaps one user's session for another's."""
