trace --format json 'pod app=db' 'ns kubernetes.io/metadata.name=kube-system' udp/53 inventory.yaml old
