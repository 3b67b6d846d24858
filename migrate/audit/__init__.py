"""What an export holds and what the migration will make of it, before anything is converted (`wp2zola inspect`)."""
