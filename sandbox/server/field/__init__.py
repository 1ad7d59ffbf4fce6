"""The cadres' phone app: enrolment by invite, device cookie, my households, idempotent check-ins, my check-ins."""
