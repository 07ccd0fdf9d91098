diff --exit-code --inventory inventory.yaml old new
