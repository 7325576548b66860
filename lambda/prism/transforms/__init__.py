"""Transforms requested by URL: parameters, canonical form, format negotiation, signatures.

Pure and stdlib-only, so the edge function's rules can be read side by side with these.
"""
