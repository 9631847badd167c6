"""compare-with-champion: the candidate against the current champion before any traffic.

Two gates, both recorded in the new version's evidence: `champion_comparison` (both models
predict the same labelled eval rows; exact McNemar for classifiers, paired bootstrap of MAE/RMSE
for regressors: slipway.core.comparison) and `contract_compatibility` (the serving contracts:
slipway.core.contract_diff). With no champion there is nothing to compare and no gate is added.
"""
