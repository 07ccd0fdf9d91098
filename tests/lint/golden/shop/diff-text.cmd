diff --no-color --format text --inventory inventory.yaml old new
