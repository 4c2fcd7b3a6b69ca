// The mini-program itself needs nothing global: the page opens its own connection (pages/index).
App({});
