diff --inventory inventory.yaml old old
