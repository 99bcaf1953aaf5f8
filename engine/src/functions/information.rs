//! Information functions: IS*, TYPE, N, NA, ERROR.TYPE, CELL, SHEET.
