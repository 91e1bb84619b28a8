"""nova-compute with this directory on ``nova.virt``'s path (run by the cloud's own Python).

Nova loads ``compute_driver`` from the ``nova.virt`` package only, so the test cloud's
driver (nova_fake_snapshots.py, beside this file) becomes ``nova.virt.nova_fake_snapshots``
this way, without writing into the OpenStack virtualenv.  Arguments are nova-compute's.
"""

import os
import sys

import nova.cmd.compute  # first, as in nova-compute: it applies Nova's monkey patching
import nova.virt

nova.virt.__path__.append(os.path.dirname(os.path.abspath(__file__)))

if __name__ == "__main__":
    sys.argv[0] = "nova-compute"
    sys.exit(nova.cmd.compute.main())
