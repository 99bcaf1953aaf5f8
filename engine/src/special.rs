//! Special functions of numerical analysis (error function, log-gamma, incomplete gamma and
//! beta, their inverses) shared by the distribution functions and the simulation engine.
