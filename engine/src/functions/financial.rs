//! Financial functions: time value of money, cash flows, depreciation, securities.
