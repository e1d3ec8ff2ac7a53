# This organisation runs enhanced monitoring on every PHI database.
database {
  require_enhanced_monitoring = true
}
