"""Study-guide builder: content directory -> one frozen model -> HTML -> PDF and EPUB."""
