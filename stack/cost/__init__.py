"""Cost: the price book, the monthly estimate of a plan, and diffs between plans."""
