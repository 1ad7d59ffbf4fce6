"""Industry projects (产业项目) with stage, progress and beneficiaries."""
