diff --no-color --format markdown --inventory inventory.yaml old new
