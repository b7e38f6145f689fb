"""What every family shares: result classes, argument checks, inference helpers.

``_core`` imports nothing from the rest of the package.  Modules:

* ``results`` -- the frozen result classes (``EstimateResult``, ``BatchResult`` ...);
* ``validation`` -- the one argument-check framework (messages name the argument,
  show the value and say what is allowed);
* ``inference`` -- ``alternative`` handling, normal and t critical values and
  p-values, Wald and Wilson intervals, Hedges' J, the 2x2 formulas and the
  zero-cell rule: each written once;
* ``types`` -- the type aliases of public signatures (``Real``, ``Int``, ``RNGLike`` ...);
* ``exports`` -- gives each public name its family as its home (``__module__``).
"""
