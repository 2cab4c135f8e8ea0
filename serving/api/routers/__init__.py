"""One router per area: suggestions, feedback, taxonomy, health, agent page."""
