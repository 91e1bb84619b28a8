"""ec2api's hand-written runtime: the Falcon service, auth, dispatch, state and the codec support library."""
