# The two commands a newcomer needs (see README.md). Each installs what is missing first.
.PHONY: run test admin

## Build and run AtlasLens with its embedded database on http://127.0.0.1:3000
run:
	@./scripts/run.sh

## Run every test: formatting, clippy, unit and integration tests, and the Playwright suite
test:
	@./scripts/test.sh

## Create an administrator: make admin NAME=alice (prompts for the password)
admin:
	@./scripts/admin.sh "$(NAME)"
