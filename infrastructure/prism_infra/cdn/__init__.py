"""CloudFront in front of Prism (`prism:cdn`): the distribution, its origin function, edge
code, policies and monitoring. `declare.py` is what the stack calls; nothing runs on import."""
