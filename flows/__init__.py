"""One Prefect flow per file, named after its verb; flows only wire tasks."""
