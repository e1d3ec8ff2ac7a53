# Performance Insights keeps sampled SQL text, which can hold PHI: this
# organisation keeps it at most one month.
database {
  performance_insights_max_retention_days = 31
}
