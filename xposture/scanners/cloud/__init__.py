"""AWS cloud inventory and posture: live (boto3), offline (exports) and CloudTrail logs.

Live collection and every offline format feed the same normalisers
(``norm_*`` modules), so one rule pack judges both and a plant that is
air-gapped gets the same findings from an export as a live session would.
"""
