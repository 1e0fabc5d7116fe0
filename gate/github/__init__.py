"""The GitHub wing: CODEOWNERS and review rules (pure), the API client (behind a Protocol), release."""
