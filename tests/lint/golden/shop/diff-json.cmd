diff --no-color --format json --inventory inventory.yaml old new
