"""CrossGuard policy pack for mlstack platforms; rules run both in `pulumi preview` and offline."""
