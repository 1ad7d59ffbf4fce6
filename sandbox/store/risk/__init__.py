"""The anti-fraud platform's store side (issue 17): rules over the register, department data, funds and check-ins."""
