lint no-such-file.yaml
