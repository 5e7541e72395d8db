#!/usr/bin/env node
// Runs the bundled CLI (dist/bundle/, built by `npm ci` through the prepare script).
import '../dist/bundle/bin.js';
